"""The student registry feed (R4, R5, R6): undergraduates from the φοιτητολόγιο."""

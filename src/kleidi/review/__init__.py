"""The helpdesk's review queue: records a person must decide on (R4, R16)."""

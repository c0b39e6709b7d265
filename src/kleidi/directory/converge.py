"""Comparing an entry with Kleidi's desired state and changing only what differs. [helper C]"""

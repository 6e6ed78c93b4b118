"""Plain-Python core of crmdesk: record types, ids, field catalogue, patches, merge rules.

Standard library only; every other package may import it.
"""

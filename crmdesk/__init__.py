"""crmdesk: an offline-first desktop client for the Pipeline CRM REST API v3."""

__version__ = "0.1.0"

"""The Qt (PySide6) application: main window, tables, detail pane, dialogs.

The only package that imports PySide6 or qasync. It reaches data through service objects
handed in by ``crmdesk.app`` and imports only ``crmdesk.services`` type modules and
``crmdesk.domain`` (import-linter checks that it never reaches the store, the API client,
the sync engine, httpx, sqlite3 or keyring, not even indirectly).
"""

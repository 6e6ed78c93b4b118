"""Use cases the UI and the command line call: accounts, secrets, browsing, editing, sync.

Never imports Qt. Services are built in ``crmdesk.app`` (or the CLI) and passed in through
constructors; there is no global locator.
"""

"""One module per resource group of the API (deals, people, companies, notes, ...)."""

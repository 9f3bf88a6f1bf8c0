"""A generic JSON webhook: anything else, read through a mapping declared per integration."""

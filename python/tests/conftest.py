"""The fixtures of tabvault.testing (tabvault_db, tabvault_repository) come from its pytest
plugin entry point; nothing else is shared."""

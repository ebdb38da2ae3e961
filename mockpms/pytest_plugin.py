"""pytest plugin of mockpms (entry point `mockpms`)."""

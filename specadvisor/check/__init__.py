"""`specadvisor check`: lint speculative-decoding deployment configs against the rules in rules/."""

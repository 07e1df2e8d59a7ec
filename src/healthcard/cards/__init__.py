"""Physical resident health cards: lifecycle, production, SAM cards, terminals, manufacturers."""

"""crisisbot's front ends: the Discord bot and the ``crisisbot`` command line."""

"""The synthetic world: regions and codes, geometry, households, persons and personas."""

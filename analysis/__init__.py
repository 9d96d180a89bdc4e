"""Coverage, standards indicators and reports built from the spatial results of `geo`."""

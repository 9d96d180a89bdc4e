"""Everything spatial: readers, CRS, population cells, walking graph, routing, service areas."""

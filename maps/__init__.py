"""Folium rendering of analysis results; computes no indicators."""

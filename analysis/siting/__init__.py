"""Siting new facilities where they close coverage gaps best, existing facilities kept."""

from carecircle.analysis.siting.request import SitingRequest, SitingResult
from carecircle.analysis.siting.site import site_facilities

__all__ = ["SitingRequest", "SitingResult", "site_facilities"]

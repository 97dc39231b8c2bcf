"""channelhub: the back office of a cloud distributor/reseller (project package and core app)."""

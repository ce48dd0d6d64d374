"""AWS Service Catalog: publishing a stage's template as a product version, the
portfolio's side of it, and the launch role Service Catalog assumes."""

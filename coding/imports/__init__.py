"""Loaders for the official files the clinic's admin loads each year or quarter (CMS PFS RVUs,
GPCIs, MUEs, PTP edits; ICD-10-CM). The common protocol and `import_run` are in `base`; the
kind → importer table is `registry.IMPORTERS`."""

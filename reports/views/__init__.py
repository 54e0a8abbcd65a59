"""Console pages of reports: the audit log, custom reports, and data exports."""

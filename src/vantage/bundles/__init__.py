"""Code bundles the Checkly CLI uploads (the archive of a project's Playwright files), stored in
the database by content hash."""

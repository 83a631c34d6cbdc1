"""Pure reading: URLs, links, feeds, sitemaps, the story text and its identity. No I/O."""

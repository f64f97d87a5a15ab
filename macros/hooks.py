"""MkDocs hooks (skeleton): generated pages are added here."""

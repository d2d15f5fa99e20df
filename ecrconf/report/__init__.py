"""Reports: results.json, JUnit, HTML, Markdown, the console summary, compare and the matrix."""

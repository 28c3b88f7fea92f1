"""Reports: the administrative document form, charts, HTML/PDF rendering, Excel appendix, index."""

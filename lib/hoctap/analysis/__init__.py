"""Analysis of the indicators once they are computed: the layer between the processed tables
and the reports, so that notebooks and reports share one set of computations."""

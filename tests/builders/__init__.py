"""Test builders: real workbooks (corpus), processed tables (tables), exploration frames, shared builds."""

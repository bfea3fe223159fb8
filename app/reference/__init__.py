"""Meeting-preparation reference data: personas, discovery questions, buyer process map."""

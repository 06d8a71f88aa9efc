# mcrbench: benchmark build and run rules. Included from the top-level Makefile.

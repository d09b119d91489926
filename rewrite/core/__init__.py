"""The model: kinds, diagrams (port graphs), rule patterns as data, canonical keys, input errors. Imports nothing above it."""

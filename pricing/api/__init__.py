"""Pricing catalog endpoints, Metronome's wire format (see shared/metronome-api.md), by concern:
credit types, products, rate cards, their rates, rate card extras (named schedules, product
order) and packages; what they share is in `common`."""

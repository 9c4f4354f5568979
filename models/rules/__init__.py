"""Pure rules: state machines, retry, pacing, dispatch timing, numeric limits, text and time
formats. No I/O and no clock: `now` is passed in."""

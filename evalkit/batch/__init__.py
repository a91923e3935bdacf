"""The batch (`evalkit run`): plan the units, run them in warm or fresh kernels, render."""

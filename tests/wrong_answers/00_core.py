# A typical wrong answer for each exercise of 00_core, and a fragment its check's message must contain.
WRONG = {
    1: ("return (a - b).max()", 'differs by'),  # forgot the absolute value
    2: ("return (a - b).abs() <= tol * b.abs()", 'elements differ'),  # purely relative: fails near zero
    3: ("passes = False", 'not right (you gave False)'),
    4: ("set_seed(seed)\nreturn torch.randperm(n)", 'global generator left where it was is not right'),  # right order, but moves the global generator
}

"Typical wrong answers to the Practice exercises of 04_init, and a fragment the check's message must contain."
WRONG = {
    # the formula for an input of mean 0: the mean's share of the second moment is forgotten
    1: ('''return math.sqrt(n_in) * w_std * x_std''', 'out_std(100, 0.02, 2., 1.5) is not right'),
    # the factor for the variance, not for the std
    2: ('''growth = 4.''', 'growth is not right (you gave 4.0): a std, not a variance'),
    # the square of the mean instead of the mean of the square
    3: ('''return torch.trapezoid(act(z) * normal_pdf, z).item() ** 2''', 'kept_fraction(relu) is not right'),
    # the fraction on the wrong side: the std shrinks where it should grow
    4: ('''std = math.sqrt(kept_fraction(act) / n_in)
return torch.randn(n_in, n_out, generator=generator) * std''', 'init_for(relu, 400, 300): 119976 of 120000 elements differ'),
    # every layer measured on the input itself, not on the activations the layers before it produce
    5: ('''return [w / (x @ w).std() for w in weights]''', 'the std of each layer before its activation: 19 of 20 elements differ'),
}

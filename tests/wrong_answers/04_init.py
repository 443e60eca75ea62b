"Typical wrong answers to the Practice exercises of 04_init, and a fragment the check's message must contain."
WRONG = {
    # the variances add up, but forgetting the square root gives n_in times too much
    1: ('''return n_in * w_std * x_std''', 'differs by'),
    # forgetting that the factor compounds from layer to layer
    2: ('''predicted_stds = torch.tensor([2., 2., 2., 2.])''', 'elements differ by more than tol'),
    # "half of the values are positive" is the probability, not the mean
    3: ('''relu_mean = 0.5''', 'differs by'),
    # the variance of relu(z) instead of its second moment
    4: ('''relu_second_moment = 0.5 - 1 / (2 * math.pi)''', 'differs by'),
    # a instead of a**2
    5: ('''return math.sqrt(2 / ((1 + a) * n_in))''', 'differs by'),
    # the uniform bound set to the std itself: the std comes out sqrt(3) times too small
    6: ('''bound = math.sqrt(2 / n_in)
return (torch.rand(n_in, n_out, generator=generator) * 2 - 1) * bound''', 'elements differ by more than tol'),
}

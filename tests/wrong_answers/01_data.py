"Typical wrong answers to the Practice of 01_data, and a fragment of the message each check must print."
WRONG = {
    # the sign forgotten: int.from_bytes reads unsigned unless told otherwise, so -1 comes back as 65535
    1: ('''return [int.from_bytes(data[8 + 2*i : 10 + 2*i], 'big') for i in range(n)]''', 'elements differ'),
    # the element size forgotten: type 0x0B is two bytes per element
    2: ('''predicted_bytes = 12 + 300 * 7''', 'is not right (you gave 2112)'),
    # one mean and one std for all pixels, as in the lesson, where each pixel needs its own
    3: ('''m, s = train.mean(), train.std()
return normalize(train, m, s), normalize(valid, m, s)''', 'the mean of each normalised training pixel: 16 of 16 elements differ'),
    # unique() counts only the classes that appear: classes 1 and 9 are missing
    4: ('''return labels.unique(return_counts=True)[1]''', 'expected (10,)'),
    # the mean of all images, whatever their class
    5: ('''return x.mean(0).expand(n_classes, -1)''', 'elements differ'),
}

"Typical wrong answers to the Practice of 01_data, and a fragment of the message each check must print."
WRONG = {
    # the sizes read little-endian: IDX stores them most significant byte first
    1: ('''return tuple(int.from_bytes(data[4 + 4*i : 8 + 4*i], 'little') for i in range(ndim))''', 'expected (30, 28, 28)'),
    # the element size forgotten: type 0x0B is two bytes per element
    2: ('''predicted_bytes = 12 + 300 * 7''', 'differs by'),
    # each set normalised by its own statistics
    3: ('''return (train - train.mean()) / train.std(), (valid - valid.mean()) / valid.std()''', 'the normalised valid'),
    # unique() counts only the classes that appear: class 9 is missing
    4: ('''return labels.unique(return_counts=True)[1]''', 'expected (10,)'),
    # believing x[:-0] keeps everything
    5: ('''predicted_lengths = (10, 10)''', 'expected (0, 10)'),
}

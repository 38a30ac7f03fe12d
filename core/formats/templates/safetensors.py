_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def load_safetensors(path):
    """The tensors of a safetensors file by name (the format Netwright reads and writes; no package needed)."""
    with open(path, "rb") as f:
        size = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        begin, end = t["data_offsets"]
        if t["dtype"] == "BF16":
            a = (np.frombuffer(data[begin:end], np.uint16).astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(data[begin:end], _DTYPES[t["dtype"]])
        tensors[name] = torch.from_numpy(a.reshape(t["shape"]).copy())
    return tensors


def save_safetensors(tensors, path):
    """Writes float tensors as float32 (others as int64) to a safetensors file, atomically."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        a = (t.float() if t.is_floating_point() else t.long()).numpy()
        blob = a.tobytes()
        header[name] = {"dtype": "F32" if a.dtype == np.float32 else "I64", "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(path + ".tmp", path)

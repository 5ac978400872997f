"""Build two small nets in Paddle 3.x and save them in the PIR inference format (inference.json +
inference.pdiparams) that PaddleX's PP-OCRv5/v6 models use. Run as a script in a fresh process:
`python build_pir_nets.py OUT_DIR`.

- tiny_svtr_rec: conv stem (BN, hardswish) to height 1, then an SVTR-style mixing block on the sequence --
  LayerNorm, multi-head self-attention (softmax over scaled dot products), LayerNorm, MLP with GELU, residuals --
  linear head and per-timestep softmax (the op set of PP-OCRv5/v6 recognisers' CTC branch); 11 classes.
- tiny_db_det: strided conv backbone with BN and ReLU, nearest and bilinear upsampling, a transposed conv,
  sigmoid map (DB).
Both keep batch and width (det: height and width) dynamic. Each folder also gets an inference.yml like
PaddleX's, so the converter's reading of it is tested too.
"""

import os
import sys

import paddle  # noqa: E402

DET_YML = """Global:
  model_name: tiny_db_det
PostProcess:
  box_thresh: 0.45
  max_candidates: 3000
  name: DBPostProcess
  thresh: 0.2
  unclip_ratio: 1.4
PreProcess:
  transform_ops:
  - DecodeImage:
      channel_first: false
      img_mode: BGR
  - DetResizeForTest:
      limit_side_len: 736
      limit_type: min
      max_side_limit: 4000
  - NormalizeImage:
      mean:
      - 0.485
      - 0.456
      - 0.406
      order: hwc
      scale: 1./255.
      std:
      - 0.229
      - 0.224
      - 0.225
  - ToCHWImage: null
"""

REC_YML = """Global:
  model_name: tiny_svtr_rec
PreProcess:
  transform_ops:
  - DecodeImage:
      channel_first: false
      img_mode: BGR
  - RecResizeImg:
      image_shape:
      - 3
      - 32
      - 100
PostProcess:
  name: CTCLabelDecode
  character_dict:
""" + "".join(f"  - {c}\n" for c in "abcdefghi")


class MixingBlock(paddle.nn.Layer):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1 = paddle.nn.LayerNorm(dim)
        self.qkv = paddle.nn.Linear(dim, dim * 3)
        self.proj = paddle.nn.Linear(dim, dim)
        self.norm2 = paddle.nn.LayerNorm(dim)
        self.fc1 = paddle.nn.Linear(dim, dim * 2)
        self.fc2 = paddle.nn.Linear(dim * 2, dim)

    def forward(self, x):  # x: N, T, C
        n, t, c = x.shape[0], x.shape[1], x.shape[2]
        qkv = self.qkv(self.norm1(x)).reshape([0, -1, 3, self.heads, c // self.heads]).transpose([2, 0, 3, 1, 4])
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = paddle.nn.functional.softmax(q.matmul(k, transpose_y=True) * (c // self.heads) ** -0.5, axis=-1)
        mixed = attn.matmul(v).transpose([0, 2, 1, 3]).reshape([0, -1, c])
        x = x + self.proj(mixed)
        return x + self.fc2(paddle.nn.functional.gelu(self.fc1(self.norm2(x))))


class TinySVTR(paddle.nn.Layer):
    def __init__(self) -> None:
        super().__init__()
        self.stem = paddle.nn.Conv2D(3, 16, 3, padding=1)
        self.bn = paddle.nn.BatchNorm2D(16)
        self.pool = paddle.nn.AvgPool2D(kernel_size=(32, 4), stride=(32, 4))
        self.block = MixingBlock(16, heads=2)
        self.norm = paddle.nn.LayerNorm(16)
        self.head = paddle.nn.Linear(16, 11)

    def forward(self, x):
        y = self.pool(paddle.nn.functional.hardswish(self.bn(self.stem(x))))  # N,16,1,W/4
        y = paddle.squeeze(y, axis=2).transpose([0, 2, 1])  # N,T,16
        y = self.norm(self.block(y))
        return paddle.nn.functional.softmax(self.head(y), axis=2)


class TinyDB(paddle.nn.Layer):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = paddle.nn.Conv2D(3, 8, 3, stride=2, padding=1)
        self.c2 = paddle.nn.Conv2D(8, 16, 3, stride=2, padding=1)
        self.bn2 = paddle.nn.BatchNorm2D(16)
        self.c3 = paddle.nn.Conv2D(16, 16, 3, stride=2, padding=1)
        self.lat = paddle.nn.Conv2D(8, 16, 1)
        self.fuse = paddle.nn.Conv2D(32, 8, 3, padding=1)
        self.up = paddle.nn.Conv2DTranspose(8, 4, 2, stride=2)
        self.out = paddle.nn.Conv2D(4, 1, 3, padding=1)

    def forward(self, x):
        c1 = paddle.nn.functional.relu(self.c1(x))  # H/2
        c2 = paddle.nn.functional.relu(self.bn2(self.c2(c1)))  # H/4
        c3 = paddle.nn.functional.relu(self.c3(c2))  # H/8
        c2 = c2 + paddle.nn.functional.interpolate(c3, scale_factor=2, mode="bilinear", align_corners=False)
        up = paddle.nn.functional.interpolate(c2, scale_factor=2, mode="nearest")  # H/2
        y = paddle.nn.functional.relu(self.fuse(paddle.concat([up, self.lat(c1)], axis=1)))
        return paddle.nn.functional.sigmoid(self.out(self.up(y)))


def save(folder: str, layer: paddle.nn.Layer, spec: list, yml: str) -> None:
    layer.eval()
    paddle.jit.save(layer, os.path.join(folder, "inference"), input_spec=[paddle.static.InputSpec(spec, "float32", "x")])
    with open(os.path.join(folder, "inference.yml"), "w", encoding="utf-8") as f:
        f.write(yml)


if __name__ == "__main__":
    out = sys.argv[1]
    paddle.seed(7)
    save(os.path.join(out, "tiny_svtr_rec_infer"), TinySVTR(), [None, 3, 32, None], REC_YML)
    save(os.path.join(out, "tiny_db_det_infer"), TinyDB(), [None, 3, None, None], DET_YML)

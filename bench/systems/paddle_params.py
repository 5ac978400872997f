"""PaddleOCR parameter names -> onnxocr flat option names (onnxocr.config.OCRConfig.replace).

Standard library only: the speed runners import it in a process that must load nothing but the system measured.
"""

PADDLE_TO_ONNXOCR = {
    "det_limit_side_len": "det_limit_side_len",
    "det_limit_type": "det_limit_type",
    "det_db_thresh": "det_thresh",
    "det_db_box_thresh": "det_box_thresh",
    "det_db_unclip_ratio": "det_unclip_ratio",
    "det_db_score_mode": "det_score_mode",
    "use_dilation": "det_use_dilation",
    "rec_batch_num": "rec_batch_size",
    "drop_score": "drop_score",
    "cls_thresh": "cls_thresh",
    "cls_batch_num": "cls_batch_size",
}

# PaddleOCR 2.x defaults (tools/infer/utility.py init_args) for the parameters that shape the result.
PADDLE_DEFAULTS = {
    "det_limit_side_len": 960,
    "det_limit_type": "max",
    "det_db_thresh": 0.3,
    "det_db_box_thresh": 0.6,
    "det_db_unclip_ratio": 1.5,
    "det_db_score_mode": "fast",
    "use_dilation": False,
    "det_box_type": "quad",
    "rec_image_shape": "3,48,320",
    "rec_batch_num": 6,
    "max_text_length": 25,
    "drop_score": 0.5,
    "use_space_char": True,
    "cls_thresh": 0.9,
    "cls_batch_num": 6,
    "ocr_version": "PP-OCRv4",
    "lang": "ch",
}

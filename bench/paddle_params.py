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

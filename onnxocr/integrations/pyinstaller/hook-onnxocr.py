"""PyInstaller hook for onnxocr: the catalog and licences, and every installed models wheel (files + metadata).

Installed models wheels are found as the runtime finds them (entry-point group `onnxocr.models`); their
dist-info is copied too, because the frozen app finds them through that same entry point.
"""

from PyInstaller.utils.hooks import collect_data_files, copy_metadata

from onnxocr.models.packages import installed_model_packages

datas = collect_data_files("onnxocr") + copy_metadata("onnxocr-runtime")
hiddenimports = []
for package in installed_model_packages():
    datas += collect_data_files(package.module) + copy_metadata(package.distribution)
    hiddenimports.append(package.module)

// Image-folder datasets: ROOT/<split>/<class>/*.{jpg,jpeg,png}, decoded with stb_image.
//
// Contract
// - Labels follow `classes` when given (it must name exactly the class folders present),
//   otherwise the class folders sorted by name. Files within a class are sorted by name;
//   samples are ordered class by class. Files with other extensions and hidden entries
//   (".*") are ignored.
// - Every image is decoded once, in parallel (kernels::parallel_for), to `channels`
//   (stb converts grey/RGB/RGBA as needed) and stored as [N, C, H, W] bytes.
// - All images must have the same height and width (options.height/width when non-zero,
//   else those of the first image). Throws trit::Error("image_folder: ...") naming the
//   folder or file for a missing folder, an empty class, a file that is not PNG or JPEG
//   (by its first bytes: stb_image would decode other formats whatever the name), an
//   undecodable file (with stb's reason), an image of the wrong size, or one whose header
//   claims a side longer than 4096 pixels (refused before decoding, as is a wrong size); with
//   several bad files the first in sample
//   order is reported, whatever the thread count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"

namespace trit::datasets {

struct ImageFolderOptions {
  std::vector<std::string> classes;  // label order; empty: folder names sorted
  int channels = 0;                  // 1, 2, 3 or 4; 0: channels of the first image
  int64_t height = 0;                // required size; 0: that of the first image
  int64_t width = 0;
};

ImageDataset load_image_folder(const std::string& root, Split split,
                               const ImageFolderOptions& options = {});

}  // namespace trit::datasets

// Bảng điều khiển ceremonyd (placeholder)

#!/usr/bin/env python3
"""Writes the procedures catalog as SQL on stdout: units, domains, procedures, procedure_units, holidays.

    python3 scripts/gen-catalog.py | psql -h 127.0.0.1 -p PG_PORT -U cong -d cong -v ON_ERROR_STOP=1

Deterministic: no randomness, no clock; the same output on every run. Every INSERT is ON CONFLICT DO NOTHING and
the whole is one transaction, so loading it twice is harmless.

The catalog is synthetic but realistic: about 100 base procedures of the city and commune levels, each crossed with
the variants that apply to it (cấp lần đầu, cấp lại, cấp đổi, điều chỉnh, gia hạn, có yếu tố nước ngoài, liên
thông, ...) and, for some, the applicant (cá nhân, tổ chức, hộ kinh doanh). Codes are 'N.NNNNNN' like the national
catalog's; they are assigned in a fixed order, so they are stable across runs.

Fixed code: "Đăng ký khai sinh" (the plain base, commune level, domain ho-tich) is always 1.001193 (the tests and
the demo rely on it); every other procedure is numbered 2.000001, 2.000002, ... in generation order.
"""
import json
import sys

# --------------------------------------------------------------------------------------------------------------------
# Units: the 126 communes and wards of Hanoi after the 2025 reorganisation (51 wards, 75 communes), then the city's
# departments. Codes HN-W-001..HN-W-126 in this order (wards first).
WARDS = [
    "Hoàn Kiếm", "Cửa Nam", "Ba Đình", "Ngọc Hà", "Giảng Võ", "Hai Bà Trưng", "Vĩnh Tuy", "Bạch Mai",
    "Đống Đa", "Kim Liên", "Văn Miếu - Quốc Tử Giám", "Láng", "Ô Chợ Dừa", "Hồng Hà", "Lĩnh Nam", "Hoàng Mai",
    "Vĩnh Hưng", "Tương Mai", "Định Công", "Hoàng Liệt", "Yên Sở", "Thanh Xuân", "Khương Đình", "Phương Liệt",
    "Cầu Giấy", "Nghĩa Đô", "Yên Hòa", "Tây Hồ", "Phú Thượng", "Tây Tựu", "Phú Diễn", "Xuân Đỉnh", "Đông Ngạc",
    "Thượng Cát", "Từ Liêm", "Xuân Phương", "Tây Mỗ", "Đại Mỗ", "Long Biên", "Bồ Đề", "Việt Hưng", "Phúc Lợi",
    "Hà Đông", "Dương Nội", "Yên Nghĩa", "Phú Lương", "Kiến Hưng", "Thanh Liệt", "Chương Mỹ", "Sơn Tây",
    "Tùng Thiện",
]
COMMUNES = [
    "Sóc Sơn", "Kim Anh", "Trung Giã", "Đa Phúc", "Nội Bài", "Đông Anh", "Phúc Thịnh", "Thư Lâm", "Thiên Lộc",
    "Vĩnh Thanh", "Mê Linh", "Yên Lãng", "Tiến Thắng", "Quang Minh", "Gia Lâm", "Thuận An", "Bát Tràng",
    "Phù Đổng", "Thanh Trì", "Đại Thanh", "Nam Phù", "Ngọc Hồi", "Thượng Phúc", "Thường Tín", "Chương Dương",
    "Hồng Vân", "Phú Xuyên", "Phượng Dực", "Chuyên Mỹ", "Đại Xuyên", "Thanh Oai", "Bình Minh", "Tam Hưng",
    "Dân Hòa", "Vân Đình", "Ứng Thiên", "Hòa Xá", "Ứng Hòa", "Mỹ Đức", "Hồng Sơn", "Phúc Sơn", "Hương Sơn",
    "Phú Nghĩa", "Xuân Mai", "Trần Phú", "Hòa Phú", "Quảng Bị", "Minh Châu", "Quảng Oai", "Vật Lại", "Cổ Đô",
    "Bất Bạt", "Suối Hai", "Ba Vì", "Yên Bài", "Đoài Phương", "Phúc Thọ", "Phúc Lộc", "Hát Môn", "Thạch Thất",
    "Hạ Bằng", "Tây Phương", "Hòa Lạc", "Yên Xuân", "Quốc Oai", "Hưng Đạo", "Kiều Phú", "Phú Cát", "Hoài Đức",
    "Dương Hòa", "Sơn Đồng", "An Khánh", "Đan Phượng", "Ô Diên", "Liên Minh",
]

# (abbreviation, name_vi, name_en)
DEPARTMENTS = [
    ("TP", "Sở Tư pháp", "Department of Justice"),
    ("XD", "Sở Xây dựng", "Department of Construction"),
    ("NNMT", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment"),
    ("TC", "Sở Tài chính", "Department of Finance"),
    ("YT", "Sở Y tế", "Department of Health"),
    ("GDDT", "Sở Giáo dục và Đào tạo", "Department of Education and Training"),
    ("NV", "Sở Nội vụ", "Department of Home Affairs"),
    ("CA", "Công an thành phố Hà Nội", "Hanoi City Police"),
    ("VHTT", "Sở Văn hóa và Thể thao", "Department of Culture and Sports"),
    ("DL", "Sở Du lịch", "Department of Tourism"),
    ("CT", "Sở Công Thương", "Department of Industry and Trade"),
    ("KHCN", "Sở Khoa học và Công nghệ", "Department of Science and Technology"),
    ("DTTG", "Sở Dân tộc và Tôn giáo", "Department of Ethnic and Religious Affairs"),
    ("QHKT", "Sở Quy hoạch - Kiến trúc", "Department of Planning and Architecture"),
    ("TTR", "Thanh tra thành phố", "City Inspectorate"),
]

# (code, name_vi, name_en, departments that handle its city-level procedures)
DOMAINS = [
    ("ho-tich", "Hộ tịch", "Civil status", ["TP"]),
    ("chung-thuc", "Chứng thực", "Authentication", ["TP"]),
    ("tu-phap", "Tư pháp", "Judicial affairs", ["TP"]),
    ("dat-dai", "Đất đai", "Land", ["NNMT"]),
    ("moi-truong", "Môi trường", "Environment", ["NNMT"]),
    ("nong-nghiep", "Nông nghiệp", "Agriculture", ["NNMT"]),
    ("xay-dung", "Xây dựng", "Construction", ["XD", "QHKT"]),
    ("giao-thong", "Giao thông", "Transport", ["XD", "CA"]),
    ("dang-ky-kinh-doanh", "Đăng ký kinh doanh", "Business registration", ["TC"]),
    ("thuong-mai", "Thương mại", "Trade", ["CT"]),
    ("y-te", "Y tế", "Health", ["YT"]),
    ("giao-duc", "Giáo dục", "Education", ["GDDT"]),
    ("lao-dong", "Lao động", "Labour", ["NV"]),
    ("bao-tro-xa-hoi", "Bảo trợ xã hội", "Social protection", ["NV"]),
    ("van-hoa", "Văn hóa", "Culture", ["VHTT", "DL"]),
    ("cu-tru", "Cư trú", "Residence", ["CA"]),
    ("khoa-hoc", "Khoa học và công nghệ", "Science and technology", ["KHCN"]),
]

# --------------------------------------------------------------------------------------------------------------------
# Base procedures: (domain, level, name_vi, name_en, fee_vnd, processing_days, family of variants)
# Families: "reg" (registrations: lần đầu is the plain name), "lic" (licences, certificates), "cert" (one-off
# certifications), "grant" (allowances, approvals).
BASES = [
    ("ho-tich", "commune", "Đăng ký khai sinh", "Birth registration", 0, 1, "reg"),
    ("ho-tich", "commune", "Đăng ký kết hôn", "Marriage registration", 0, 3, "reg"),
    ("ho-tich", "commune", "Đăng ký khai tử", "Death registration", 0, 1, "reg"),
    ("ho-tich", "commune", "Đăng ký nhận cha, mẹ, con", "Registration of parentage recognition", 0, 3, "reg"),
    ("ho-tich", "commune", "Đăng ký giám hộ", "Guardianship registration", 0, 3, "reg"),
    ("ho-tich", "commune", "Đăng ký thay đổi, cải chính hộ tịch", "Change or correction of civil status", 0, 3, "reg"),
    ("ho-tich", "commune", "Cấp giấy xác nhận tình trạng hôn nhân", "Certificate of marital status", 0, 3, "cert"),
    ("ho-tich", "commune", "Cấp bản sao trích lục hộ tịch", "Copy of civil status extract", 8000, 1, "cert"),
    ("ho-tich", "commune", "Đăng ký chấm dứt giám hộ", "Termination of guardianship", 0, 2, "reg"),
    ("ho-tich", "commune", "Ghi vào sổ hộ tịch việc hộ tịch đã giải quyết tại nước ngoài",
     "Recording of civil status events settled abroad", 0, 5, "reg"),
    ("chung-thuc", "commune", "Chứng thực bản sao từ bản chính", "Certified copy from the original", 2000, 1, "cert"),
    ("chung-thuc", "commune", "Chứng thực chữ ký", "Signature authentication", 10000, 1, "cert"),
    ("chung-thuc", "commune", "Chứng thực hợp đồng, giao dịch", "Authentication of contracts and transactions",
     50000, 2, "cert"),
    ("chung-thuc", "commune", "Chứng thực văn bản thỏa thuận phân chia di sản",
     "Authentication of an estate division agreement", 50000, 3, "cert"),
    ("chung-thuc", "commune", "Chứng thực di chúc", "Authentication of a will", 50000, 2, "cert"),
    ("tu-phap", "city", "Cấp phiếu lý lịch tư pháp", "Judicial record card", 200000, 10, "cert"),
    ("tu-phap", "city", "Đăng ký hoạt động văn phòng công chứng", "Registration of a notary office", 1000000, 10,
     "lic"),
    ("tu-phap", "city", "Cấp giấy đăng ký hoạt động của tổ chức hành nghề luật sư",
     "Registration of a law practice", 100000, 10, "lic"),
    ("tu-phap", "city", "Cấp thẻ công chứng viên", "Notary card", 0, 10, "lic"),
    ("tu-phap", "city", "Đăng ký hoạt động của trung tâm trọng tài", "Registration of an arbitration centre",
     1000000, 15, "lic"),
    ("tu-phap", "city", "Cấp giấy đăng ký hành nghề đấu giá tài sản", "Registration of property auction practice",
     500000, 7, "lic"),
    ("dat-dai", "city", "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
     "Certificate of land use rights and ownership of attached assets", 100000, 30, "lic"),
    ("dat-dai", "city", "Đăng ký biến động quyền sử dụng đất", "Registration of changes in land use rights", 50000,
     10, "reg"),
    ("dat-dai", "city", "Chuyển mục đích sử dụng đất", "Change of land use purpose", 0, 20, "grant"),
    ("dat-dai", "city", "Giao đất, cho thuê đất", "Land allocation and lease", 0, 20, "grant"),
    ("dat-dai", "city", "Tách thửa, hợp thửa đất", "Division or merger of land plots", 50000, 15, "reg"),
    ("dat-dai", "city", "Đăng ký thế chấp quyền sử dụng đất", "Registration of a land use right mortgage", 80000,
     3, "reg"),
    ("dat-dai", "commune", "Xác nhận nguồn gốc, thời điểm sử dụng đất", "Confirmation of land use origin and time",
     0, 10, "cert"),
    ("dat-dai", "commune", "Hòa giải tranh chấp đất đai", "Mediation of land disputes", 0, 30, "grant"),
    ("moi-truong", "city", "Cấp giấy phép môi trường", "Environmental permit", 0, 30, "lic"),
    ("moi-truong", "city", "Thẩm định báo cáo đánh giá tác động môi trường",
     "Appraisal of an environmental impact assessment report", 0, 30, "grant"),
    ("moi-truong", "city", "Cấp giấy phép khai thác nước dưới đất", "Groundwater extraction licence", 0, 25, "lic"),
    ("moi-truong", "city", "Cấp giấy phép xả nước thải vào nguồn nước", "Wastewater discharge licence", 0, 25, "lic"),
    ("moi-truong", "commune", "Đăng ký môi trường", "Environmental registration", 0, 5, "reg"),
    ("nong-nghiep", "city", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản",
     "Food safety certificate for agricultural, forestry and fishery establishments", 700000, 15, "lic"),
    ("nong-nghiep", "city", "Cấp giấy phép hành nghề thú y", "Veterinary practice licence", 0, 5, "lic"),
    ("nong-nghiep", "city", "Cấp giấy chứng nhận kiểm dịch động vật", "Animal quarantine certificate", 40000, 3,
     "cert"),
    ("nong-nghiep", "commune", "Xác nhận hộ gia đình làm nông nghiệp", "Confirmation of a farming household", 0, 5,
     "cert"),
    ("xay-dung", "city", "Cấp giấy phép xây dựng", "Construction permit", 150000, 20, "lic"),
    ("xay-dung", "city", "Cấp chứng chỉ hành nghề hoạt động xây dựng", "Construction practice certificate",
     300000, 20, "lic"),
    ("xay-dung", "city", "Cấp chứng chỉ năng lực hoạt động xây dựng", "Construction capacity certificate",
     1000000, 20, "lic"),
    ("xay-dung", "city", "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng",
     "Appraisal of a construction feasibility study", 0, 30, "grant"),
    ("xay-dung", "city", "Cấp giấy phép quy hoạch", "Planning permit", 2000000, 25, "lic"),
    ("xay-dung", "city", "Cung cấp thông tin quy hoạch", "Provision of planning information", 0, 7, "cert"),
    ("xay-dung", "commune", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Construction permit for a detached house",
     75000, 15, "lic"),
    ("xay-dung", "commune", "Cấp giấy phép sửa chữa, cải tạo nhà ở", "Permit for house repair and renovation",
     50000, 10, "lic"),
    ("giao-thong", "city", "Cấp giấy phép lái xe", "Driving licence", 135000, 10, "lic"),
    ("giao-thong", "city", "Cấp giấy phép lưu hành xe quá tải trọng, xe quá khổ giới hạn",
     "Permit for overweight or oversize vehicles", 0, 2, "lic"),
    ("giao-thong", "city", "Cấp phù hiệu xe kinh doanh vận tải", "Transport business vehicle badge", 0, 2, "lic"),
    ("giao-thong", "city", "Cấp giấy phép kinh doanh vận tải bằng xe ô tô",
     "Road transport business licence", 200000, 5, "lic"),
    ("giao-thong", "city", "Đăng ký xe", "Vehicle registration", 150000, 2, "reg"),
    ("giao-thong", "city", "Cấp giấy phép thi công công trình trên đường bộ đang khai thác",
     "Permit for works on roads in use", 0, 7, "lic"),
    ("dang-ky-kinh-doanh", "city", "Đăng ký thành lập doanh nghiệp", "Enterprise establishment registration",
     50000, 3, "reg"),
    ("dang-ky-kinh-doanh", "city", "Đăng ký thay đổi nội dung đăng ký doanh nghiệp",
     "Change of enterprise registration details", 50000, 3, "reg"),
    ("dang-ky-kinh-doanh", "city", "Thông báo tạm ngừng kinh doanh", "Notice of business suspension", 0, 3, "reg"),
    ("dang-ky-kinh-doanh", "city", "Giải thể doanh nghiệp", "Enterprise dissolution", 0, 5, "grant"),
    ("dang-ky-kinh-doanh", "city", "Đăng ký hoạt động chi nhánh, văn phòng đại diện",
     "Registration of a branch or representative office", 50000, 3, "reg"),
    ("dang-ky-kinh-doanh", "city", "Đăng ký thành lập hợp tác xã", "Cooperative establishment registration", 100000,
     5, "reg"),
    ("dang-ky-kinh-doanh", "commune", "Đăng ký hộ kinh doanh", "Household business registration", 100000, 3, "reg"),
    ("dang-ky-kinh-doanh", "commune", "Đăng ký thay đổi nội dung đăng ký hộ kinh doanh",
     "Change of household business registration", 50000, 3, "reg"),
    ("thuong-mai", "city", "Cấp giấy phép bán lẻ rượu", "Liquor retail licence", 1200000, 10, "lic"),
    ("thuong-mai", "city", "Cấp giấy phép bán lẻ sản phẩm thuốc lá", "Tobacco retail licence", 1200000, 10, "lic"),
    ("thuong-mai", "city", "Cấp giấy chứng nhận đủ điều kiện cửa hàng bán lẻ xăng dầu",
     "Certificate for a fuel retail station", 1200000, 15, "lic"),
    ("thuong-mai", "city", "Đăng ký tổ chức hội chợ, triển lãm thương mại", "Registration of a trade fair", 0, 7,
     "reg"),
    ("thuong-mai", "city", "Đăng ký hoạt động khuyến mại", "Registration of a sales promotion", 0, 5, "reg"),
    ("y-te", "city", "Cấp giấy phép hành nghề khám bệnh, chữa bệnh", "Medical practice licence", 360000, 20, "lic"),
    ("y-te", "city", "Cấp giấy phép hoạt động cơ sở khám bệnh, chữa bệnh", "Operating licence for a clinic",
     4300000, 30, "lic"),
    ("y-te", "city", "Cấp chứng chỉ hành nghề dược", "Pharmacy practice certificate", 500000, 20, "lic"),
    ("y-te", "city", "Cấp giấy chứng nhận đủ điều kiện kinh doanh dược",
     "Certificate of eligibility for pharmaceutical business", 1000000, 30, "lic"),
    ("y-te", "city", "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm",
     "Food safety certificate for establishments", 500000, 20, "lic"),
    ("y-te", "commune", "Xác nhận đối tượng được hỗ trợ bảo hiểm y tế", "Confirmation of health insurance support",
     0, 5, "cert"),
    ("giao-duc", "city", "Cấp bản sao văn bằng, chứng chỉ từ sổ gốc", "Copy of a diploma from the master register",
     0, 3, "cert"),
    ("giao-duc", "city", "Cho phép thành lập trường trung học phổ thông tư thục",
     "Permission to establish a private high school", 0, 20, "grant"),
    ("giao-duc", "city", "Cấp giấy phép hoạt động dạy thêm, học thêm", "Licence for extra tutoring", 0, 10, "lic"),
    ("giao-duc", "city", "Công nhận văn bằng do cơ sở giáo dục nước ngoài cấp",
     "Recognition of a diploma issued abroad", 0, 20, "cert"),
    ("giao-duc", "commune", "Cho phép nhóm trẻ, lớp mẫu giáo độc lập hoạt động",
     "Permission for an independent nursery group", 0, 20, "grant"),
    ("giao-duc", "commune", "Chuyển trường đối với học sinh trung học cơ sở", "Transfer of a lower-secondary pupil",
     0, 3, "grant"),
    ("lao-dong", "city", "Cấp giấy phép lao động cho người lao động nước ngoài", "Work permit for foreign workers",
     600000, 5, "lic"),
    ("lao-dong", "city", "Đăng ký nội quy lao động", "Registration of work rules", 0, 7, "reg"),
    ("lao-dong", "city", "Cấp giấy phép hoạt động cho thuê lại lao động", "Labour subleasing licence", 0, 20, "lic"),
    ("lao-dong", "city", "Giải quyết hưởng trợ cấp thất nghiệp", "Unemployment benefit", 0, 20, "grant"),
    ("lao-dong", "city", "Đăng ký hoạt động giáo dục nghề nghiệp", "Registration of vocational training", 0, 10,
     "reg"),
    ("bao-tro-xa-hoi", "commune", "Trợ cấp xã hội hằng tháng", "Monthly social allowance", 0, 15, "grant"),
    ("bao-tro-xa-hoi", "commune", "Hỗ trợ chi phí mai táng", "Funeral expense support", 0, 5, "grant"),
    ("bao-tro-xa-hoi", "commune", "Xác định mức độ khuyết tật", "Determination of disability level", 0, 25, "cert"),
    ("bao-tro-xa-hoi", "commune", "Công nhận hộ nghèo, hộ cận nghèo", "Recognition of poor and near-poor households",
     0, 15, "cert"),
    ("bao-tro-xa-hoi", "commune", "Hỗ trợ người có công với cách mạng", "Support for revolutionary contributors",
     0, 20, "grant"),
    ("bao-tro-xa-hoi", "city", "Thành lập cơ sở trợ giúp xã hội", "Establishment of a social assistance facility",
     0, 20, "grant"),
    ("van-hoa", "city", "Cấp giấy phép tổ chức biểu diễn nghệ thuật", "Performing arts permit", 0, 5, "lic"),
    ("van-hoa", "city", "Cấp giấy phép kinh doanh dịch vụ karaoke", "Karaoke business licence", 6000000, 5, "lic"),
    ("van-hoa", "city", "Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "Domestic travel business licence",
     3000000, 10, "lic"),
    ("van-hoa", "city", "Công nhận hạng cơ sở lưu trú du lịch", "Rating of a tourist accommodation", 1500000, 30,
     "cert"),
    ("van-hoa", "city", "Cấp giấy phép thẻ hướng dẫn viên du lịch", "Tour guide card", 650000, 10, "lic"),
    ("van-hoa", "commune", "Đăng ký tổ chức lễ hội", "Registration of a festival", 0, 5, "reg"),
    ("van-hoa", "commune", "Công nhận gia đình văn hóa", "Recognition of a cultural family", 0, 10, "cert"),
    ("cu-tru", "commune", "Đăng ký thường trú", "Permanent residence registration", 0, 7, "reg"),
    ("cu-tru", "commune", "Đăng ký tạm trú", "Temporary residence registration", 0, 3, "reg"),
    ("cu-tru", "commune", "Khai báo tạm vắng", "Declaration of temporary absence", 0, 1, "reg"),
    ("cu-tru", "commune", "Xác nhận thông tin về cư trú", "Confirmation of residence information", 0, 1, "cert"),
    ("cu-tru", "city", "Cấp thẻ căn cước", "Identity card", 0, 7, "lic"),
    ("cu-tru", "city", "Cấp hộ chiếu phổ thông", "Ordinary passport", 200000, 8, "lic"),
    ("khoa-hoc", "city", "Cấp giấy chứng nhận doanh nghiệp khoa học và công nghệ",
     "Science and technology enterprise certificate", 0, 15, "lic"),
    ("khoa-hoc", "city", "Đăng ký chuyển giao công nghệ", "Technology transfer registration", 0, 5, "reg"),
    ("khoa-hoc", "city", "Cấp giấy phép tiến hành công việc bức xạ", "Radiation work licence", 1500000, 20, "lic"),
    ("khoa-hoc", "city", "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ",
     "Registration of research results", 0, 10, "reg"),
]

# Variants: (name_vi suffix, name_en suffix, fee factor in percent, extra days, extra required documents)
PRIOR = ("Bản chính giấy tờ đã được cấp", "Original of the document previously issued")
FOREIGN = ("Bản dịch có chứng thực giấy tờ nước ngoài", "Certified translation of foreign documents")
VARIANTS = {
    "reg": [("", "", 100, 0, []), ("lại", "re-registration", 100, 2, [PRIOR]),
            ("có yếu tố nước ngoài", "with a foreign element", 150, 5, [FOREIGN]),
            ("lưu động", "mobile", 0, 2, []),
            ("liên thông", "one-stop joint procedure", 100, 3, []),
            ("điều chỉnh thông tin", "amendment of details", 50, 1, [PRIOR]),
            ("theo ủy quyền", "by authorized representative", 100, 0,
             [("Văn bản ủy quyền có chứng thực", "Certified power of attorney")]),
            ("trực tuyến toàn trình", "fully online", 50, 0, [])],
    "lic": [("cấp lần đầu", "first issuance", 100, 0, []), ("cấp lại", "reissuance", 50, -2, [PRIOR]),
            ("cấp đổi", "replacement", 50, -2, [PRIOR]), ("điều chỉnh", "amendment", 50, -3, [PRIOR]),
            ("gia hạn", "renewal", 50, -3, [PRIOR]),
            ("có yếu tố nước ngoài", "with a foreign element", 150, 5, [FOREIGN]),
            ("liên thông", "one-stop joint procedure", 100, 3, []),
            ("do bị mất, hư hỏng", "after loss or damage", 50, 0,
             [("Đơn trình bày lý do mất, hư hỏng", "Statement of loss or damage")])],
    "cert": [("", "", 100, 0, []), ("cấp lại", "reissuance", 100, 0, [PRIOR]),
             ("có yếu tố nước ngoài", "with a foreign element", 150, 3, [FOREIGN]),
             ("liên thông", "one-stop joint procedure", 100, 2, []),
             ("trực tuyến", "online", 50, 0, []),
             ("theo yêu cầu của cơ quan, tổ chức", "at the request of an agency", 100, 1, [])],
    "grant": [("", "", 100, 0, []), ("điều chỉnh", "amendment", 100, -2, [PRIOR]),
              ("gia hạn", "renewal", 100, -3, [PRIOR]), ("liên thông", "one-stop joint procedure", 100, 3, []),
              ("có yếu tố nước ngoài", "with a foreign element", 100, 5, [FOREIGN]),
              ("trường hợp đặc biệt", "special case", 100, 5,
               [("Văn bản giải trình trường hợp đặc biệt", "Explanation of the special case")])],
}
# Applicants: crossed with the base for families where the applicant changes the file.
APPLICANTS = [("", ""), ("đối với cá nhân", "for individuals"), ("đối với tổ chức", "for organisations"),
              ("đối với hộ kinh doanh", "for household businesses")]
APPLICANTS_BY_FAMILY = {"reg": 3, "lic": 4, "cert": 3, "grant": 3}   # how many of APPLICANTS each family uses

# Who may apply (procedures.applicants, issue 18): a variant for individuals or household businesses is a citizen's, one
# for organisations an organisation's; otherwise the base decides. The business procedures below are an organisation's
# own affairs (an enterprise's registration, its operating licences, its staff's permits); the ones marked "both" are
# filed by people and companies alike (permits, land, trade licences). Every other base is a citizen's.
ORGANIZATION_BASES = {
    "Đăng ký thay đổi nội dung đăng ký doanh nghiệp", "Giải thể doanh nghiệp",
    "Đăng ký hoạt động chi nhánh, văn phòng đại diện", "Đăng ký hoạt động văn phòng công chứng",
    "Cấp giấy đăng ký hoạt động của tổ chức hành nghề luật sư", "Đăng ký hoạt động của trung tâm trọng tài",
    "Cấp giấy phép hoạt động cơ sở khám bệnh, chữa bệnh", "Cấp giấy chứng nhận đủ điều kiện kinh doanh dược",
    "Cấp giấy phép kinh doanh vận tải bằng xe ô tô", "Cấp phù hiệu xe kinh doanh vận tải",
    "Cấp chứng chỉ năng lực hoạt động xây dựng", "Thẩm định báo cáo nghiên cứu khả thi đầu tư xây dựng",
    "Cấp giấy phép lao động cho người lao động nước ngoài", "Đăng ký nội quy lao động",
    "Cấp giấy phép hoạt động cho thuê lại lao động", "Đăng ký hoạt động giáo dục nghề nghiệp",
    "Đăng ký tổ chức hội chợ, triển lãm thương mại", "Đăng ký hoạt động khuyến mại",
    "Cấp giấy phép kinh doanh dịch vụ lữ hành nội địa", "Công nhận hạng cơ sở lưu trú du lịch",
    "Cho phép thành lập trường trung học phổ thông tư thục", "Thành lập cơ sở trợ giúp xã hội",
    "Cấp giấy chứng nhận doanh nghiệp khoa học và công nghệ",
}
BOTH_BASES = {
    "Đăng ký thành lập doanh nghiệp", "Đăng ký thành lập hợp tác xã", "Thông báo tạm ngừng kinh doanh",
    "Cấp giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
    "Đăng ký biến động quyền sử dụng đất", "Chuyển mục đích sử dụng đất", "Giao đất, cho thuê đất",
    "Tách thửa, hợp thửa đất", "Đăng ký thế chấp quyền sử dụng đất",
    "Cấp giấy phép môi trường", "Thẩm định báo cáo đánh giá tác động môi trường",
    "Cấp giấy phép khai thác nước dưới đất", "Cấp giấy phép xả nước thải vào nguồn nước", "Đăng ký môi trường",
    "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm nông lâm thủy sản",
    "Cấp giấy phép xây dựng", "Cấp giấy phép quy hoạch", "Cung cấp thông tin quy hoạch",
    "Cấp giấy phép lưu hành xe quá tải trọng, xe quá khổ giới hạn", "Đăng ký xe",
    "Cấp giấy phép thi công công trình trên đường bộ đang khai thác",
    "Cấp giấy phép bán lẻ rượu", "Cấp giấy phép bán lẻ sản phẩm thuốc lá",
    "Cấp giấy chứng nhận đủ điều kiện cửa hàng bán lẻ xăng dầu",
    "Cấp giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm", "Cấp giấy phép hoạt động dạy thêm, học thêm",
    "Cho phép nhóm trẻ, lớp mẫu giáo độc lập hoạt động", "Cấp giấy phép tổ chức biểu diễn nghệ thuật",
    "Cấp giấy phép kinh doanh dịch vụ karaoke", "Đăng ký tổ chức lễ hội", "Đăng ký chuyển giao công nghệ",
    "Cấp giấy phép tiến hành công việc bức xạ", "Đăng ký kết quả thực hiện nhiệm vụ khoa học và công nghệ",
}


def applicants_of(base_vi, a_vi):
    if a_vi == "đối với tổ chức":
        return "organization"
    if a_vi:
        return "citizen"   # for individuals, for household businesses (run by a person)
    return "organization" if base_vi in ORGANIZATION_BASES else "both" if base_vi in BOTH_BASES else "citizen"


COMMON_DOCS = [
    ("Tờ khai theo mẫu", "Application form", True),
    ("Giấy tờ tùy thân của người nộp (căn cước)", "Identity document of the applicant", True),
]
DOMAIN_DOCS = {
    "ho-tich": [("Giấy chứng sinh hoặc văn bản thay thế", "Birth certificate from the hospital or substitute")],
    "chung-thuc": [("Bản chính giấy tờ cần chứng thực", "Original of the document to authenticate")],
    "tu-phap": [("Giấy xác nhận cư trú", "Proof of residence")],
    "dat-dai": [("Giấy chứng nhận quyền sử dụng đất đã cấp", "Land use right certificate already issued"),
                ("Sơ đồ thửa đất", "Plot plan")],
    "moi-truong": [("Báo cáo đánh giá tác động môi trường", "Environmental impact assessment report")],
    "nong-nghiep": [("Bản thuyết minh điều kiện cơ sở", "Description of the establishment")],
    "xay-dung": [("Bản vẽ thiết kế xây dựng", "Construction drawings"),
                 ("Giấy tờ chứng minh quyền sử dụng đất", "Proof of land use rights")],
    "giao-thong": [("Giấy khám sức khỏe", "Health certificate")],
    "dang-ky-kinh-doanh": [("Điều lệ", "Charter"), ("Danh sách thành viên", "List of members")],
    "thuong-mai": [("Bản sao giấy chứng nhận đăng ký doanh nghiệp", "Copy of the enterprise registration")],
    "y-te": [("Văn bằng chuyên môn", "Professional qualification"),
             ("Giấy xác nhận quá trình thực hành", "Proof of clinical practice")],
    "giao-duc": [("Học bạ", "School record")],
    "lao-dong": [("Lý lịch tư pháp", "Judicial record"), ("Giấy chứng nhận sức khỏe", "Health certificate")],
    "bao-tro-xa-hoi": [("Giấy xác nhận khuyết tật hoặc hoàn cảnh", "Proof of disability or circumstances")],
    "van-hoa": [("Kịch bản, chương trình", "Script or programme")],
    "cu-tru": [("Giấy tờ chứng minh chỗ ở hợp pháp", "Proof of lawful accommodation")],
    "khoa-hoc": [("Hồ sơ kỹ thuật", "Technical file")],
}

# Form fields: every procedure has the applicant's fields; each domain adds its own. Every type is used:
# string (pattern, max_length), integer, date, boolean, enum.
COMMON_FIELDS = [
    {"name": "ho_ten", "label_vi": "Họ và tên", "label_en": "Full name", "type": "string", "required": True,
     "max_length": 100},
    {"name": "so_dien_thoai", "label_vi": "Số điện thoại", "label_en": "Phone number", "type": "string",
     "required": True, "pattern": "^0[0-9]{9}$", "max_length": 10},
    {"name": "dia_chi", "label_vi": "Địa chỉ liên hệ", "label_en": "Contact address", "type": "string",
     "required": True, "max_length": 200},
    {"name": "hinh_thuc_nhan_ket_qua", "label_vi": "Hình thức nhận kết quả", "label_en": "How to receive the result",
     "type": "enum", "required": True, "enum": ["truc_tiep", "buu_chinh", "truc_tuyen"]},
    {"name": "so_ban_sao", "label_vi": "Số bản sao", "label_en": "Number of copies", "type": "integer",
     "required": False},
]
DOMAIN_FIELDS = {
    "ho-tich": [
        {"name": "ngay_su_kien", "label_vi": "Ngày xảy ra sự kiện", "label_en": "Date of the event", "type": "date",
         "required": True},
        {"name": "gioi_tinh", "label_vi": "Giới tính", "label_en": "Sex", "type": "enum", "required": True,
         "enum": ["nam", "nu"]},
        {"name": "noi_sinh", "label_vi": "Nơi sinh", "label_en": "Place of birth", "type": "string",
         "required": False, "max_length": 200}],
    "dat-dai": [
        {"name": "so_thua", "label_vi": "Số thửa", "label_en": "Plot number", "type": "integer", "required": True},
        {"name": "so_to_ban_do", "label_vi": "Số tờ bản đồ", "label_en": "Map sheet number", "type": "integer",
         "required": True},
        {"name": "dien_tich_m2", "label_vi": "Diện tích (m²)", "label_en": "Area (m²)", "type": "string",
         "required": True, "pattern": "^[0-9]+(\\.[0-9]{1,2})?$", "max_length": 12}],
    "xay-dung": [
        {"name": "so_tang", "label_vi": "Số tầng", "label_en": "Number of storeys", "type": "integer",
         "required": True},
        {"name": "co_tang_ham", "label_vi": "Có tầng hầm", "label_en": "Has a basement", "type": "boolean",
         "required": True},
        {"name": "ngay_khoi_cong_du_kien", "label_vi": "Ngày khởi công dự kiến", "label_en": "Planned start date",
         "type": "date", "required": False}],
    "dang-ky-kinh-doanh": [
        {"name": "ten_doanh_nghiep", "label_vi": "Tên doanh nghiệp", "label_en": "Business name", "type": "string",
         "required": True, "max_length": 255},
        {"name": "ma_so_thue", "label_vi": "Mã số thuế", "label_en": "Tax code", "type": "string", "required": False,
         "pattern": "^[0-9]{10}([0-9]{3})?$", "max_length": 13},
        {"name": "von_dieu_le_vnd", "label_vi": "Vốn điều lệ (đồng)", "label_en": "Charter capital (VND)",
         "type": "integer", "required": True},
        {"name": "loai_hinh", "label_vi": "Loại hình", "label_en": "Type", "type": "enum", "required": True,
         "enum": ["tnhh_1tv", "tnhh_2tv", "co_phan", "hop_danh", "tu_nhan", "ho_kinh_doanh"]}],
}
DEFAULT_FIELDS = [
    {"name": "ngay_de_nghi", "label_vi": "Ngày đề nghị", "label_en": "Date of request", "type": "date",
     "required": True},
    {"name": "nhan_thong_bao_qua_ung_dung", "label_vi": "Nhận thông báo qua ứng dụng",
     "label_en": "Notify me in the app", "type": "boolean", "required": False},
]

# --------------------------------------------------------------------------------------------------------------------
# Holidays (days off of state agencies). Source assumption: the Labour Code 2019 art. 112 (Tết Dương lịch 1 day,
# Tết Nguyên đán 5 days, Giỗ Tổ Hùng Vương 10/3 lunar, 30/4, 1/5, Quốc khánh 2/9 and one adjacent day), with the
# compensatory days off and bridges announced by the Ministry of Labour / Ministry of Home Affairs for civil servants
# as far as known at the time of writing: 2025 and 2026 follow the announced plans; 2027 follows the law with the
# usual compensatory Monday when a holiday falls on a weekend, and its Tết days and the day adjacent to 2/9 are
# assumptions to revise when the official plan is published. Make-up working Saturdays are not modelled.
HOLIDAYS = [
    ("2025-01-01", "Tết Dương lịch"),
    ("2025-01-27", "Tết Nguyên đán (28 tháng Chạp)"), ("2025-01-28", "Tết Nguyên đán (29 tháng Chạp)"),
    ("2025-01-29", "Tết Nguyên đán (Mùng 1)"), ("2025-01-30", "Tết Nguyên đán (Mùng 2)"),
    ("2025-01-31", "Tết Nguyên đán (Mùng 3)"),
    ("2025-04-07", "Giỗ Tổ Hùng Vương"),
    ("2025-04-30", "Ngày Giải phóng miền Nam"), ("2025-05-01", "Ngày Quốc tế Lao động"),
    ("2025-05-02", "Nghỉ bù (hoán đổi ngày làm việc)"),
    ("2025-09-01", "Quốc khánh (ngày liền kề)"), ("2025-09-02", "Quốc khánh"),
    ("2026-01-01", "Tết Dương lịch"), ("2026-01-02", "Nghỉ bù Tết Dương lịch (hoán đổi ngày làm việc)"),
    ("2026-02-16", "Tết Nguyên đán (29 tháng Chạp)"), ("2026-02-17", "Tết Nguyên đán (Mùng 1)"),
    ("2026-02-18", "Tết Nguyên đán (Mùng 2)"), ("2026-02-19", "Tết Nguyên đán (Mùng 3)"),
    ("2026-02-20", "Tết Nguyên đán (Mùng 4)"),
    ("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương (26/4 là Chủ nhật)"),
    ("2026-04-30", "Ngày Giải phóng miền Nam"), ("2026-05-01", "Ngày Quốc tế Lao động"),
    ("2026-09-01", "Quốc khánh (ngày liền kề)"), ("2026-09-02", "Quốc khánh"),
    ("2027-01-01", "Tết Dương lịch"),
    ("2027-02-04", "Tết Nguyên đán (28 tháng Chạp)"), ("2027-02-05", "Tết Nguyên đán (29 tháng Chạp)"),
    ("2027-02-08", "Tết Nguyên đán (Mùng 3)"), ("2027-02-09", "Tết Nguyên đán (Mùng 4)"),
    ("2027-02-10", "Tết Nguyên đán (Mùng 5)"),
    ("2027-04-16", "Giỗ Tổ Hùng Vương"),
    ("2027-04-30", "Ngày Giải phóng miền Nam"), ("2027-05-03", "Nghỉ bù Ngày Quốc tế Lao động (1/5 là thứ Bảy)"),
    ("2027-09-02", "Quốc khánh"), ("2027-09-03", "Quốc khánh (ngày liền kề)"),
]

BIRTH_CODE = "1.001193"


def q(s):
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def qj(v):
    """A jsonb literal."""
    return q(json.dumps(v, ensure_ascii=False, sort_keys=True, separators=(",", ":"))) + "::jsonb"


def join_name(*parts):
    return " ".join(p for p in parts if p)


def procedures():
    """Yields one dict per procedure, in a fixed order."""
    seq = 0
    for b, (domain, level, base_vi, base_en, fee, days, family) in enumerate(BASES):
        for v, (v_vi, v_en, fee_pct, extra_days, extra_docs) in enumerate(VARIANTS[family]):
            for a, (a_vi, a_en) in enumerate(APPLICANTS[:APPLICANTS_BY_FAMILY[family]]):
                # A few combinations do not occur in the national catalog: skip them (deterministically).
                if a and level == "commune" and family == "lic" and a_vi == "đối với tổ chức":
                    continue
                if base_vi == "Đăng ký khai sinh" and not v_vi and not a_vi:
                    code = BIRTH_CODE
                else:
                    seq += 1
                    code = "2.%06d" % seq
                if v_vi == "lại":   # "Đăng ký lại khai sinh", as the national catalog words it
                    name_vi = join_name(base_vi.replace("Đăng ký", "Đăng ký lại", 1) if base_vi.startswith(
                        "Đăng ký") else base_vi + " (thực hiện lại)", a_vi)
                else:
                    name_vi = join_name(base_vi, v_vi, a_vi)
                name_en = base_en + (" — " + v_en if v_en else "") + (" " + a_en if a_en else "")
                k = b * 31 + v * 7 + a * 3    # a fixed mix for the attributes that vary
                docs = [{"name_vi": d[0], "name_en": d[1], "required": d[2]} for d in COMMON_DOCS]
                docs += [{"name_vi": d[0], "name_en": d[1], "required": (k + i) % 3 != 0}
                         for i, d in enumerate(DOMAIN_DOCS.get(domain, []))]
                docs += [{"name_vi": d[0], "name_en": d[1], "required": True} for d in extra_docs]
                fields = COMMON_FIELDS + DOMAIN_FIELDS.get(domain, DEFAULT_FIELDS)
                if v_vi == "có yếu tố nước ngoài":
                    fields = fields + [{"name": "quoc_tich", "label_vi": "Quốc tịch", "label_en": "Nationality",
                                        "type": "string", "required": True, "pattern": "^[A-Z]{2}$",
                                        "max_length": 2}]
                yield {
                    "code": code, "name_vi": name_vi, "name_en": name_en, "domain": domain, "level": level,
                    # fees are round thousands; many are 0 (most civil-status and social procedures)
                    "fee_vnd": (fee * fee_pct // 100) // 1000 * 1000,
                    "processing_days": max(1, min(30, days + extra_days)),
                    "required_documents": docs,
                    "min_loa": 2 if domain in ("dat-dai", "dang-ky-kinh-doanh", "tu-phap", "cu-tru") or k % 5 == 0
                    else 1,
                    "online_level": "full" if (family in ("reg", "cert") and k % 4 != 1) or v_vi.startswith(
                        "trực tuyến") else "partial",
                    "accepts_electronic_copies": k % 3 != 2 or v_vi.startswith("trực tuyến"),
                    "form_fields": fields,
                    "applicants": applicants_of(base_vi, a_vi),
                }


def chunks(rows, n):
    for i in range(0, len(rows), n):
        yield rows[i:i + n]


def main():
    out = sys.stdout
    w = out.write
    w("-- Generated by scripts/gen-catalog.py: the procedures catalog. Idempotent (ON CONFLICT DO NOTHING).\n")
    w("BEGIN;\n\n")

    w("-- Units: %d wards, %d communes, %d departments\n" % (len(WARDS), len(COMMUNES), len(DEPARTMENTS)))
    assert len(WARDS) + len(COMMUNES) == 126, len(WARDS) + len(COMMUNES)
    units = []
    for i, n in enumerate(WARDS + COMMUNES):
        ward = i < len(WARDS)
        units.append(("HN-W-%03d" % (i + 1), ("Phường " if ward else "Xã ") + n,
                      n + (" Ward" if ward else " Commune"), "ward" if ward else "commune"))
    for abbr, vi, en in DEPARTMENTS:
        units.append(("HN-D-" + abbr, vi, en, "department"))
    w("INSERT INTO units (code, name, name_en, kind) VALUES\n")
    w(",\n".join("    (%s, %s, %s, %s)" % tuple(q(x) for x in u) for u in units))
    w("\nON CONFLICT DO NOTHING;\n\n")

    w("INSERT INTO domains (code, name_vi, name_en) VALUES\n")
    w(",\n".join("    (%s, %s, %s)" % (q(c), q(vi), q(en)) for c, vi, en, _ in DOMAINS))
    w("\nON CONFLICT DO NOTHING;\n\n")

    procs = list(procedures())
    assert len(procs) >= 2100, len(procs)
    assert len({p["code"] for p in procs}) == len(procs)
    assert len({p["name_vi"] for p in procs}) == len(procs)
    assert sum(1 for p in procs if p["name_vi"] == "Đăng ký khai sinh") == 1
    types = {f["type"] for p in procs for f in p["form_fields"]}
    assert types == {"string", "integer", "date", "boolean", "enum"}, types
    assert ORGANIZATION_BASES | BOTH_BASES <= {b[2] for b in BASES}, (ORGANIZATION_BASES | BOTH_BASES) - {b[2] for b in BASES}
    assert next(p for p in procs if p["code"] == BIRTH_CODE)["applicants"] == "citizen"
    w("-- Procedures: %d\n" % len(procs))
    for part in chunks(procs, 300):
        w("INSERT INTO procedures (code, name_vi, name_en, domain, level, fee_vnd, processing_days, "
          "required_documents, min_loa, online_level, accepts_electronic_copies, form_fields, applicants) VALUES\n")
        w(",\n".join("    (%s, %s, %s, %s, %s, %d, %d, %s, %d, %s, %s, %s, %s)" % (
            q(p["code"]), q(p["name_vi"]), q(p["name_en"]), q(p["domain"]), q(p["level"]), p["fee_vnd"],
            p["processing_days"], qj(p["required_documents"]), p["min_loa"], q(p["online_level"]),
            "true" if p["accepts_electronic_copies"] else "false", qj(p["form_fields"]), q(p["applicants"]))
                        for p in part))
        # a catalog loaded before procedures had applicants (migrations 0014: every row 'citizen') gets them now;
        # nothing else of a row already there is touched
        w("\nON CONFLICT (code) DO UPDATE SET applicants = EXCLUDED.applicants\n"
          "    WHERE procedures.applicants IS DISTINCT FROM EXCLUDED.applicants;\n")
    w("\n")

    w("-- Commune-level procedures: handled by every ward and commune.\n")
    w("INSERT INTO procedure_units (procedure_code, unit_code)\n"
      "SELECT p.code, u.code FROM procedures p CROSS JOIN units u\n"
      " WHERE p.level = 'commune' AND u.kind IN ('ward', 'commune') AND p.code IN (\n")
    w(",\n".join("    " + ", ".join(q(p["code"]) for p in part)
                 for part in chunks([p for p in procs if p["level"] == "commune"], 10)))
    w(")\nON CONFLICT DO NOTHING;\n\n")

    w("-- City-level procedures: the department(s) of their domain; two-department domains alternate between\n"
      "-- the first alone and both.\n")
    depts = {c: d for c, _, _, d in DOMAINS}
    rows = []
    for i, p in enumerate(x for x in procs if x["level"] == "city"):
        ds = depts[p["domain"]]
        for d in (ds if len(ds) == 1 or i % 2 == 0 else ds[:1]):
            rows.append("(%s, %s)" % (q(p["code"]), q("HN-D-" + d)))
    w("INSERT INTO procedure_units (procedure_code, unit_code) VALUES\n")
    w(",\n".join("    " + ", ".join(part) for part in chunks(rows, 4)))
    w("\nON CONFLICT DO NOTHING;\n\n")

    w("-- Public holidays 2025-2027 (see scripts/gen-catalog.py for the source assumption).\n")
    w("INSERT INTO holidays (day, name) VALUES\n")
    w(",\n".join("    (%s, %s)" % (q(d), q(n)) for d, n in HOLIDAYS))
    w("\nON CONFLICT DO NOTHING;\n\n")
    w("COMMIT;\n")


if __name__ == "__main__":
    main()

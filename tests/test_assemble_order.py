"""Row labels settled by the template's row order (extract.assemble.resolve_by_order).

A fax-grade scan garbles labels: "7、属于行政执法案卷" came out as "7、馬于行政抗注案", which the
classifier's best guess gets right but under its threshold. The grids here are built as the scan
path builds them, with the shipped classifier; the garbled labels are real OCR readings of a
generated severity-4 scan.
"""

from extract import assemble
from extract.classifier import load_default
from extract.model import Cell, Grid

HEAD = ["", "", "自然人", "总计"]


def grid_of(rows: list[tuple[str, str]]) -> Grid:
    cells = [Cell(t, 0, k) for k, t in enumerate(HEAD) if t]
    for r, (group, label) in enumerate(rows, start=1):
        cells += [Cell(group, r, 0), Cell(label, r, 1), Cell("0", r, 2), Cell("0", r, 3)]
    return Grid(cells, section="三", source_kind="pdf-scan")


def leaf_keys(grid: Grid) -> list[str]:
    dense, kinds, vcols, labels = assemble.label_grid(grid, load_default())
    return [labels[id(row[1])].key for row in dense[1:]]


DENIED = "（三）不予公开"


def test_a_garbled_label_in_its_place_is_taken_when_the_classifier_agrees():
    rows = [(DENIED, "6、属于四类过程信息"), (DENIED, "7、馬于行政抗注案"),
            (DENIED, "8、属于行政查询事项")]
    model = load_default()
    from extract.classifier import LabelInput
    pred = model.predict([LabelInput("7、馬于行政抗注案", DENIED, "三", "row")])[0]
    assert pred.key == "unknown" and pred.best == "requests.denied.enforcement_file"
    assert leaf_keys(grid_of(rows)) == ["requests.denied.process_info",
                                        "requests.denied.enforcement_file",
                                        "requests.denied.admin_query"]


def test_a_garbled_label_stays_unknown_where_the_rows_around_it_leave_no_single_place():
    # two rows of the template (7 and 8) between 6 and 1 of (四), but only one row printed
    rows = [(DENIED, "6、属于四类过程信息"), (DENIED, "7、馬于行政抗注案"),
            ("（四）无法提供", "1、本机关不掌握相关政府信息")]
    assert leaf_keys(grid_of(rows))[1] == "unknown"


def test_the_place_must_agree_with_the_classifiers_guess():
    # in the place of 8、属于行政查询事项, a garbled 7: the guess and the place disagree
    rows = [(DENIED, "6、属于四类过程信息"), (DENIED, "7、属于行政执法案卷"),
            (DENIED, "7、馬于行政抗注案"), ("（四）无法提供", "1、本机关不掌握相关政府信息")]
    assert leaf_keys(grid_of(rows))[2] == "unknown"


def review_grid(**kw) -> Grid:
    """Section 四 as the 2021 template prints it, the heading above it unread."""
    cols = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    cells = [Cell("行政复议", 0, 0, colspan=5), Cell("行政诉讼", 0, 5, colspan=10),
             Cell("未经复议直接起诉", 1, 5, colspan=5), Cell("复议后起诉", 1, 10, colspan=5)]
    cells += [Cell(t, 1, k, rowspan=2) for k, t in enumerate(cols)]
    cells += [Cell(t, 2, 5 + k) for k, t in enumerate(cols)]
    cells += [Cell(t, 2, 10 + k) for k, t in enumerate(cols)]
    cells += [Cell(str(k % 3), 3, k) for k in range(15)]
    return Grid(cells, source_kind="pdf-scan", **kw)


def test_a_table_whose_heading_was_not_read_takes_the_section_its_labels_show():
    grid = review_grid(section="三", section_assumed=True)
    dense, kinds, vcols, labels = assemble.label_grid(grid, load_default())
    assert grid.section == "四"
    slots = assemble.cells_to_fields(grid, dense, kinds, labels, vcols, [])
    assert len(slots) == 15 and {s.key.split(".")[0] for s in slots} == {"review_litigation"}
    # a section read from a heading is not overruled
    grid = review_grid(section="三")
    assemble.label_grid(grid, load_default())
    assert grid.section == "三"


def test_a_template_row_left_blank_is_still_a_row():
    """A 2021 report's 3、其他 under （六）其他处理, every cell blank: with no number in the row
    its label was classified as if it stood nowhere in particular, came out unknown, and the
    row's seven fields went missing."""
    rows = [("（六）其他处理", "2、申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"),
            ("（六）其他处理", "3、其他")]
    grid = grid_of(rows)
    grid.cells = [c for c in grid.cells if not (c.row == 2 and c.col >= 2)]
    grid.cells += [Cell("", 2, 2), Cell("", 2, 3)]
    dense, kinds, vcols, labels = assemble.label_grid(grid, load_default())
    slots = assemble.cells_to_fields(grid, dense, kinds, labels, vcols, [])
    keys = {s.key for s in slots}
    assert {"requests.other.other.natural_person", "requests.other.other.total"} <= keys


def requests_grid(org_header: str, headers: list[str]) -> Grid:
    cells = [Cell("自然人", 0, 1, rowspan=2), Cell(org_header, 0, 2, colspan=5),
             Cell("总计", 0, 7, rowspan=2)]
    cells += [Cell(t, 1, 2 + k) for k, t in enumerate(headers)]
    cells += [Cell("一、本年新收政府信息公开申请数量", 2, 0)]
    cells += [Cell(str(k), 2, k) for k in range(1, 8)]
    return Grid(cells, section="三", source_kind="pdf-scan")


def test_a_garbled_column_header_in_its_place_is_taken():
    """A fax-grade 社会公益组织 read "批食套益姐织" under a garbled 法人或其他组织: the classifier's
    best guess is right but unsure, and the column's 26 values went missing."""
    heads = ["商业企业", "科研机构", "批食套益姐织", "法律服务机构", "其他"]
    grid = requests_grid("海人盛其蛇維织", heads)
    dense, kinds, vcols, labels = assemble.label_grid(grid, load_default())
    keys = {s.key for s in assemble.cells_to_fields(grid, dense, kinds, labels, vcols, [])}
    assert "requests.new.nonprofit" in keys and len(keys) == 7
    # out of its place (where 法律服务机构 stands), the same reading stays unknown
    swapped = ["商业企业", "科研机构", "社会公益组织", "批食套益姐织", "其他"]
    grid = requests_grid("海人盛其蛇維织", swapped)
    dense, kinds, vcols, labels = assemble.label_grid(grid, load_default())
    keys = {s.key for s in assemble.cells_to_fields(grid, dense, kinds, labels, vcols, [])}
    assert "requests.new.legal_services" not in keys

from hotline.privacy import mask_pii


def test_masks_mobile_and_id_numbers():
    assert mask_pii("电话13812345678，车牌京A12345") == "电话138****5678，车牌京A12345"
    assert mask_pii("身份证110101199003071234") == "身份证110101********1234"
    assert mask_pii("身份证11010119900307123X") == "身份证110101********123X"


def test_leaves_other_numbers_alone():
    for text in ("12328", "工单GD20261121000123", "10个工作日", "订单号123456789012"):
        assert mask_pii(text) == text

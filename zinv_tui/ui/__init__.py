"""zinv_tui.ui"""

"""zinv_tui.sandbox"""

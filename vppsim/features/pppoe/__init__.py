"""VPP's PPPoE plugin control-plane path (``src/plugins/pppoe``): ``pppoe_add_del_cp`` and the frames
``pppoe-cp-dispatch`` moves between access interfaces and the control-plane interface."""
